-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: yourls
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;

--
-- Table structure for table `yourls_log`
--

DROP TABLE IF EXISTS `yourls_log`;
CREATE TABLE `yourls_log` (
  `click_id` int NOT NULL AUTO_INCREMENT,
  `click_time` datetime NOT NULL,
  `shorturl` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (`click_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `yourls_log` WRITE;
INSERT INTO `yourls_log` VALUES (1,'2021-01-01 00:00:00','ozh'),(2,'2021-01-02 00:00:00','ozh');
UNLOCK TABLES;

--
-- Table structure for table `yourls_url`
--

DROP TABLE IF EXISTS `yourls_url`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `yourls_url` (
  `keyword` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `url` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `title` text,
  `timestamp` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `ip` varchar(41) NOT NULL,
  `clicks` int unsigned NOT NULL,
  PRIMARY KEY (`keyword`),
  KEY `yourls_url_timestamp` (`timestamp`),
  KEY `yourls_url_ip` (`ip`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `yourls_url`
--

LOCK TABLES `yourls_url` WRITE;
/*!40000 ALTER TABLE `yourls_url` DISABLE KEYS */;
INSERT INTO `yourls_url` VALUES ('ozh','http://ozh.org/','ozh.org \"Ozh\" Richard','2009-06-23 18:08:07','127.0.0.1',2),('yourls','https://yourls.org/','YOURLS: Your Own URL Shortener','2009-06-23 18:08:07','127.0.0.1',10),('it\'s','https://example.com/quote?a=1&b=2','It\'s a title; with a semicolon, (parens) and a\\backslash','2015-03-01 12:00:00','::1',0);
INSERT INTO `yourls_url` VALUES ('nulltitle','https://example.com/null',NULL,'2016-07-08 09:10:11','10.0.0.1',3),('short','https://example.com/short','too few values');
/*!40000 ALTER TABLE `yourls_url` ENABLE KEYS */;
UNLOCK TABLES;
INSERT INTO `yourls_url` (`url`, `keyword`, `title`, `timestamp`, `ip`, `clicks`) VALUES ('https://example.com/named','named','Columns named','2020-01-01 00:00:00','127.0.0.1',7);
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-05-01 10:00:00
